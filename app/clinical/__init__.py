"""Clinical core: vocabulary, scores, decision rules and the option catalogue (pure Python)."""
