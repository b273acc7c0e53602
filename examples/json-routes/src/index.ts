export { ROUTES_FILE, endpointAddress, renderFiles, renderRouteTable, type JsonHost, type JsonRoute, type RenderResult, type RouteTable } from './render.js';
export { USAGE, parseCliArgs, run, type RunOptions } from './main.js';
