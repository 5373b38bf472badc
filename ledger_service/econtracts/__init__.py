"""Electronic contract witness (电子合同见证): register, relay parties' signatures, amend."""
