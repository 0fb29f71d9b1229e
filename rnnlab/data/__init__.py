"""Data sets: synthetic tasks made by code, and real data read from files shipped in packages or the repo."""
