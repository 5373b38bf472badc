"""Witness reports (链见证报告) and electronic contract witness (电子合同见证)."""
