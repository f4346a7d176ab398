"""Fine-tuning: the training loop, checkpoints, batch sizes, memory fit and tracking."""
