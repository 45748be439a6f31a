"""playground/core/export"""
