"""From-scratch Keras layers and activations that match the built-ins (see the custom_layers issue)."""
