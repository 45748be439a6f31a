"""playground/core/files"""
