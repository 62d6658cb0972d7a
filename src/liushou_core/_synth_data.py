"""Static tables behind :mod:`liushou_core.synth`: names, places, dates, shares.

Plain constants only (no I/O, nothing computed from the clock). Area codes of
counties are not listed here: :mod:`liushou_core.synth` reads them from
python-stdnum's own GB/T 2260 table, so every generated ID number passes
``stdnum.cn.ric``.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

__all__ = [
    "CARE_COMMITTEE_TITLES",
    "CHILD_ILLNESSES",
    "ETHNICITIES",
    "GIVEN_CHILD_FEMALE",
    "GIVEN_CHILD_MALE",
    "GIVEN_MID_FEMALE",
    "GIVEN_MID_MALE",
    "GIVEN_OLD_FEMALE",
    "GIVEN_OLD_FEMALE_TWO",
    "GIVEN_OLD_MALE",
    "GIVEN_OLD_MALE_TWO",
    "GRADE_NUMERALS",
    "INCOME_AWAY",
    "INCOME_HOME",
    "MOBILE_PREFIXES",
    "PARENT_ILLNESSES",
    "PLACE_FIRST",
    "PLACE_SECOND",
    "PROVINCIAL_CAPITALS",
    "SENDING_PROVINCES",
    "SPRING_FESTIVAL",
    "SURNAMES",
    "WORK_PLACES",
]

#: Common surnames and their approximate shares in per cent (2020 census order).
#: Compound surnames are rare and listed last.
SURNAMES: Final[tuple[tuple[str, float], ...]] = (
    ("王", 7.1), ("李", 7.0), ("张", 6.7), ("刘", 5.4), ("陈", 4.6), ("杨", 3.1),
    ("黄", 2.2), ("赵", 2.0), ("吴", 1.9), ("周", 1.9), ("徐", 1.4), ("孙", 1.4),
    ("马", 1.3), ("朱", 1.2), ("胡", 1.1), ("郭", 1.1), ("何", 1.1), ("林", 1.0),
    ("高", 1.0), ("罗", 1.0), ("郑", 0.9), ("梁", 0.9), ("谢", 0.8), ("宋", 0.8),
    ("唐", 0.7), ("许", 0.7), ("韩", 0.7), ("冯", 0.7), ("邓", 0.7), ("曹", 0.7),
    ("彭", 0.6), ("曾", 0.6), ("肖", 0.6), ("田", 0.6), ("董", 0.5), ("袁", 0.5),
    ("潘", 0.5), ("于", 0.5), ("蒋", 0.5), ("蔡", 0.5), ("余", 0.5), ("杜", 0.5),
    ("叶", 0.5), ("程", 0.5), ("苏", 0.4), ("魏", 0.4), ("吕", 0.4), ("丁", 0.4),
    ("任", 0.4), ("沈", 0.4), ("姚", 0.4), ("卢", 0.4), ("姜", 0.4), ("崔", 0.3),
    ("钟", 0.3), ("谭", 0.3), ("陆", 0.3), ("汪", 0.3), ("范", 0.3), ("金", 0.3),
    ("石", 0.3), ("廖", 0.3), ("贾", 0.3), ("夏", 0.3), ("韦", 0.3), ("付", 0.3),
    ("方", 0.3), ("白", 0.3), ("邹", 0.3), ("孟", 0.3), ("熊", 0.3), ("秦", 0.3),
    ("邱", 0.3), ("江", 0.3), ("尹", 0.3), ("薛", 0.2), ("闫", 0.2), ("段", 0.2),
    ("雷", 0.2), ("侯", 0.2), ("龙", 0.2), ("史", 0.2), ("陶", 0.2), ("黎", 0.2),
    ("贺", 0.2), ("顾", 0.2), ("毛", 0.2), ("郝", 0.2), ("龚", 0.2), ("邵", 0.2),
    ("万", 0.2), ("钱", 0.2), ("严", 0.2), ("覃", 0.2), ("武", 0.2), ("戴", 0.2),
    ("莫", 0.2), ("孔", 0.2), ("向", 0.2), ("汤", 0.2), ("欧阳", 0.03), ("司马", 0.01),
    ("诸葛", 0.005), ("上官", 0.005),
)  # fmt: skip

#: Characters of children's given names (born 2008-2022), by sex.
GIVEN_CHILD_MALE: Final = (
    "浩宇轩杰俊子博文一晨睿泽明天皓嘉鑫磊阳铭辰然豪航凯瑞翔涛鹏志诚伟毅奕煜彬宸逸乐"
    "昊旭锦承安佑哲远哲钰骏"
)
GIVEN_CHILD_FEMALE: Final = (
    "欣怡梓萱雨涵诗琪佳思雅婷悦可馨梦瑶彤晴妍艺紫若依语琳嘉一佩颖玥曦甜蕊菲萌芸瑾淑晨雪月婉静"
)
#: Characters of parents' given names (born 1970-2000), by sex.
GIVEN_MID_MALE: Final = "伟强军勇涛斌波辉刚健峰杰鹏超明华林平海东亮飞俊兵磊鑫建龙宏云成春永"
GIVEN_MID_FEMALE: Final = "丽芳娟敏静燕艳霞玲红梅琴慧英萍丹莉雪婷倩秀兰凤琳霞洁晶颖春娜"
#: Grandparents' given names (born 1935-1975): whole two-character names and single characters.
GIVEN_OLD_MALE_TWO: Final[tuple[str, ...]] = (
    "建国", "国华", "建华", "德明", "福生", "贵生", "长林", "树林", "根生", "发财",
    "志强", "有才", "金生", "永福", "明德", "德胜", "国强", "国庆", "解放", "新民",
    "家旺", "文华", "正清", "守仁", "光明", "春生", "秋生", "水生", "玉林", "富贵",
)  # fmt: skip
GIVEN_OLD_MALE: Final = "德福贵财志有长树根发明金昌荣林生祥富山"
GIVEN_OLD_FEMALE_TWO: Final[tuple[str, ...]] = (
    "秀英", "桂英", "秀兰", "桂兰", "玉兰", "凤英", "淑珍", "秀珍", "玉珍", "桂芳",
    "秀芳", "玉英", "翠兰", "金花", "春花", "桂花", "玉梅", "冬梅", "秀云", "淑英",
    "素芬", "凤兰", "彩云", "月娥", "翠英", "兰英", "菊花", "腊梅", "玉芬", "秀梅",
)  # fmt: skip
GIVEN_OLD_FEMALE: Final = "英兰珍芳翠花梅凤菊琴秀娥"

#: First and second characters of township and village names.
PLACE_FIRST: Final = (
    "东西南北中上下大小新老石青白黄龙凤马牛杨柳桃李梅松竹金银长高双三五万古太永"
    "安平清红丰兴富福和宝朝文"
)
PLACE_SECOND: Final = "桥河江湖山岭坡岗坪坝塘湾溪沟口田庄营寨集铺堡店园林湖洲阳冲峪坊埠垭场岩头滩"

#: Where parents work away, with weights: (province, city or district, weight).
#: Coastal manufacturing and service centres dominate; ``"*"`` is the home
#: province's capital (work in the province).
WORK_PLACES: Final[tuple[tuple[str, str, float], ...]] = (
    ("广东省", "东莞市", 9), ("广东省", "深圳市", 8), ("广东省", "广州市", 7),
    ("广东省", "佛山市", 5), ("广东省", "中山市", 3), ("广东省", "惠州市", 2),
    ("浙江省", "宁波市", 5), ("浙江省", "温州市", 4), ("浙江省", "杭州市", 4),
    ("浙江省", "金华市", 3), ("江苏省", "苏州市", 6), ("江苏省", "无锡市", 2),
    ("江苏省", "南京市", 2), ("福建省", "泉州市", 4), ("福建省", "厦门市", 3),
    ("福建省", "福州市", 2), ("上海市", "浦东新区", 3), ("上海市", "松江区", 2),
    ("上海市", "闵行区", 2), ("北京市", "朝阳区", 2), ("北京市", "大兴区", 2),
    ("天津市", "滨海新区", 1), ("新疆维吾尔自治区", "乌鲁木齐市", 1),
    ("*", "*", 8),
)  # fmt: skip

#: Capitals of the provinces (first two digits of the area code).
PROVINCIAL_CAPITALS: Final[dict[str, str]] = {
    "13": "石家庄市", "14": "太原市", "15": "呼和浩特市", "21": "沈阳市", "22": "长春市",
    "23": "哈尔滨市", "32": "南京市", "33": "杭州市", "34": "合肥市", "35": "福州市",
    "36": "南昌市", "37": "济南市", "41": "郑州市", "42": "武汉市", "43": "长沙市",
    "44": "广州市", "45": "南宁市", "46": "海口市", "50": "渝中区", "51": "成都市",
    "52": "贵阳市", "53": "昆明市", "54": "拉萨市", "61": "西安市", "62": "兰州市",
    "63": "西宁市", "64": "银川市", "65": "乌鲁木齐市",
}  # fmt: skip

#: Provinces that send many workers away, where synthetic counties are placed
#: when no county is named (Sichuan, Guizhou, Yunnan, Gansu, Hunan, Hubei,
#: Anhui, Jiangxi, Henan, Guangxi, Chongqing).
SENDING_PROVINCES: Final[tuple[str, ...]] = (
    "51", "52", "53", "62", "43", "42", "34", "36", "41", "45", "50",
)  # fmt: skip

#: 春节 (first day of the lunar new year), 2018-2030.
SPRING_FESTIVAL: Final[dict[int, dt.date]] = {
    2018: dt.date(2018, 2, 16),
    2019: dt.date(2019, 2, 5),
    2020: dt.date(2020, 1, 25),
    2021: dt.date(2021, 2, 12),
    2022: dt.date(2022, 2, 1),
    2023: dt.date(2023, 1, 22),
    2024: dt.date(2024, 2, 10),
    2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
    2028: dt.date(2028, 1, 26),
    2029: dt.date(2029, 2, 13),
    2030: dt.date(2030, 2, 3),
}

#: Serious illnesses (重病) of parents.
PARENT_ILLNESSES: Final[tuple[str, ...]] = (
    "尿毒症", "恶性肿瘤", "肝硬化", "脑卒中后遗症", "严重心脏病", "白血病", "重症肌无力",
    "系统性红斑狼疮",
)  # fmt: skip
#: Chronic illnesses of children.
CHILD_ILLNESSES: Final[tuple[str, ...]] = (
    "哮喘", "先天性心脏病", "癫痫", "1型糖尿病", "肾病综合征", "地中海贫血", "过敏性紫癜",
)  # fmt: skip

#: Household income sources.
INCOME_AWAY: Final[tuple[str, ...]] = ("外出务工", "外出务工、务农", "外出务工、个体经营")
INCOME_HOME: Final[tuple[str, ...]] = (
    "务农", "务农、本地零工", "本地务工", "个体经营", "养殖", "种植、养殖",
)  # fmt: skip

#: Mobile number prefixes in use (the validator accepts 1[3-9]x).
MOBILE_PREFIXES: Final[tuple[str, ...]] = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "147", "150",
    "151", "152", "153", "155", "156", "157", "158", "159", "166", "173", "175", "176",
    "177", "178", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189",
    "191", "198", "199",
)  # fmt: skip

#: The 55 recognised minority nationalities, matched against autonomous county names.
ETHNICITIES: Final[tuple[str, ...]] = (
    "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族", "满族",
    "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族", "佤族",
    "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族",
    "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族",
    "普米族", "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族", "保安族",
    "裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
)  # fmt: skip

#: Chinese numerals of grades 1-9 (一年级 ... 九年级).
GRADE_NUMERALS: Final = "一二三四五六七八九"

#: Titles of village contacts.
CARE_COMMITTEE_TITLES: Final[tuple[str, ...]] = ("村儿童主任", "村委会主任", "村妇女主任")
