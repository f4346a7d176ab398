"""Instruction records, pools and test sets: what every stage reads."""
