from clinic.simulator.server import main

main()
