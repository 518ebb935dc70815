"""The predict, experiment and picture exercises of chapters 1 to 4 (see ``..kinds``).

Each module holds one chapter's questions; the chapter module (``..ch01`` ...)
puts them into its ``EXERCISES`` in book order.
"""
