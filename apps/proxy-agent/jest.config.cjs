module.exports = { ...require('../../jest.preset.cjs'), displayName: 'proxy-agent-app' };
