export { ROUTES_FILE, endpointAddress, renderFiles, renderRouteTable, type JsonHost, type JsonRoute, type RenderResult, type RouteTable } from './render.js';
export { USAGE, jsonLogger, parseCliArgs, run, type Logger, type RunOptions, type Submission } from './main.js';
