"""Fleet forecast for IT departments: the health of an organisation's devices and what to do with each."""
