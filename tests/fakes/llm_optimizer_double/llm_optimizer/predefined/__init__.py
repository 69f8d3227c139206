"""``llm_optimizer.predefined`` of the test double."""
