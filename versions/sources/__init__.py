"""Version sources: corpus metadata, version files, git history; ``DOC@DATE`` → a loaded version.

May import extract/ only; the rest of versions/ reads versions through this package.
"""
