"""Exporters: files for sharing (CSV, JSON, XLSX, ICS), each an exporter plugin."""
