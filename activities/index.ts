// The activities' public entry: the factory the worker builds them with, and their type for workflows (type only).
export { createActivities, type Activities, type ActivityDeps } from './create-activities';
