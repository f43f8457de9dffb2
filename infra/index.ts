// Pulumi entry point: the stack outputs are this module's exports.
export * from './resources';
