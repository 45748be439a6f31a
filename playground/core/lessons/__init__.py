"""playground/core/lessons"""
