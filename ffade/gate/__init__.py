"""The regression gate: a run's failures as a suite (``ffade export``) that ``ffade check`` runs.

:mod:`.suite` is the file, :mod:`.export` writes it from a discovery run, :mod:`.evaluate` scores
a target on its pairs without Lightning, :mod:`.check` is the command CI runs and
:mod:`.junit` the XML report CI systems show; :mod:`.options` holds the two commands' arguments,
apart from the torch the work imports. docs/gate.md is the user's guide.
"""
