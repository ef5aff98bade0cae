"""The package version, read by the build (scikit-build-core regex provider) and at run time."""

__version__ = "0.2.0.dev0"
