"""DiverseEvol: rounds that embed the pool with the latest model, select new
records (k-center or a baseline) and keep the labeled set."""
