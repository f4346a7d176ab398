"""Loading models and tokenizers, and turning records into prompts and token ids."""
