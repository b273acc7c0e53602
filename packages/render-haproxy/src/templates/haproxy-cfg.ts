/**
 * Handlebars template of haproxy.cfg. It only prints: every line was built (and validated) by the view
 * model in `view-model.ts` (a section's `body` is its directive lines, indented and joined).
 */
export const HAPROXY_CFG_TEMPLATE = `{{#each header}}
# {{this}}
{{/each}}
{{#each sections}}

{{#each comments}}
# {{this}}
{{/each}}
{{title}}
{{body}}
{{/each}}
`;
