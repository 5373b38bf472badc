"""Full-process tender witness (招投标全流程见证): lifecycle, bids, custodians, opening."""
