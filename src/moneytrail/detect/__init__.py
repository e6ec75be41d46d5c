"""Detection: the rule pack (YAML specs compiled to SQL), graph pattern features, a learned score, evaluation."""
