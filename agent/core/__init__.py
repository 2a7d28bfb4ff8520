"""The core: values (models, money), errors, the clock, ids and the words a person reads.

Imports nothing from the other rooms."""
