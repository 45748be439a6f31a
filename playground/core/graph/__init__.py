"""playground/core/graph"""
