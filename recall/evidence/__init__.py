"""Evidence files attached to complaints, investigations, recalls and destruction records."""
