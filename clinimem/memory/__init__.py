"""Episodic memory: one entry per clinical fact, stored in Qdrant."""
