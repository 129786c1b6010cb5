"""A synthetic task whose failure regions are planted, so explorers can be graded exactly.

Each input is a random feature vector plus a position on up to ``num_axes`` concept axes; the
``axis`` concept moves an input along one axis; the ``synthetic`` target fails inside planted
boxes of that space, boxes that grow a little for inputs whose features make them fragile. The
explorer sees the features but never the boxes.
"""
