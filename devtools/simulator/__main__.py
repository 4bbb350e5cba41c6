from devtools.simulator.server import main

main()
