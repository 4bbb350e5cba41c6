from clinic.adapters.duckling.server import main

main()
