from clinic.duckling.server import main

main()
