"""The `/brief ask` question bank: what users type, and what a right answer must contain.

Two parts: :mod:`.heldout` (scored, never tuned on; written before the engine) and
:mod:`.development` (the engine's thresholds are chosen on it). Expectations are typed checks
(:mod:`.checks`) that read the expected figure from the data at test time wherever the data may
grow, so a new trade row never turns a right answer into a "failure".
"""
