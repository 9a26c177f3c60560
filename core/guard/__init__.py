"""Guards between the program and the machine it runs on.

Memory (:mod:`.memory`: estimate first, refuse before allocating), paths
(:mod:`.paths`: ``~user`` expansion, special files, one output per path), files
written whole or not at all (:mod:`.files`) and output streams that may close under
us (:mod:`.streams`). Each is one mechanism that every reader and writer uses, so a
hostile input or an unusual machine meets the same answer everywhere.
"""
