"""Chain Witness (链见证): verifiable evidence service for public-resource trading."""

__version__ = "0.1.0"
