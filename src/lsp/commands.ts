/** The command of the "show documentation" code action: the server opens the rule's doc in the client (`window/showDocument`). */
export const SHOW_DOCS_COMMAND = 'miglint.showDocumentation';
