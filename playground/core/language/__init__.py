"""playground/core/language"""
