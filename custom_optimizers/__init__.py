"""From-scratch Keras optimizers and learning-rate schedules that match the built-ins."""
