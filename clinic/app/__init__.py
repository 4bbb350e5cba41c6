"""The processes: the one composition root (`wiring.build_services`), the worker, the staff
console, the `clinic` command and the production launcher."""
