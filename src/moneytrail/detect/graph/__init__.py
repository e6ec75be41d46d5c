"""Graph pattern features (the families of IBM's Graph Feature Preprocessor) over the transaction graph."""
