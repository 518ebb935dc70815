"""Per chapter: the inputs (cases) and catalogued mistakes of its exercises.

``catalogue.chNN`` serves ``mhacourse.exercises.chNN``, which keeps the statements,
hints and reference solutions that the notebooks show.
"""
