"""inventory-sync domain layer."""
