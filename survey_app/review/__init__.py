"""Supervisor screens: review queue, approve/return/reject, corrections with a reason."""
