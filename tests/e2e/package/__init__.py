"""The release tarball: what it holds, its install, galaxy-importer's verdict, the demo from the install (make package)."""
