from hawkeye_cli.cli import main

main()
