"""playground/core/tensorlab"""
