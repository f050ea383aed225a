from willitrun.cli import main

main()
