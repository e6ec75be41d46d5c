"""moneytrail: follow the money behind child sexual exploitation across a coalition."""

__version__ = "0.1.0"
