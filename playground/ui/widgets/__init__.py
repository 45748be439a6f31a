"""Pieces several views share: number labels, colours and the theme."""
